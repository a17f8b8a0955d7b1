// The web pattern's public API.
export {};
