// Read side of rooms (visibility, serialisation for clients, pagination tokens); the room read work fills it.
export {};
