// The postgres pattern's public API.
export {};
