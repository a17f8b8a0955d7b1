// The batch pattern's public API.
export {};
