// Public surface of the application service component (registrations, queues, queries, ping).
export { createAppserviceService, type AppserviceDeps, type AppserviceService } from './service.js';
export { loadRegistrations, registrationFilesIn, checkRegistrationSet, createRegistrationValidator, RegistrationError, type Registration, type NamespaceEntry } from './registration.js';
export { AppserviceRegistry, AppserviceEntry } from './registry.js';
export type { QueueStatus, QueueOptions } from './queue.js';
export type { EphemeralChange } from './ephemeral.js';
