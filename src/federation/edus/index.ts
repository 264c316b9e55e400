// EDUs over federation: the inbound handler the /send route calls for each EDU of a transaction, the
// outbound sender that turns local typing, receipts, presence and device-list changes into EDUs, and the
// e2e service's remote key port.
export { createEduHandler } from './inbound.js';
export type { EduHandler, EduHandlerDeps, InboundEdu } from './inbound.js';
export { createEduSender } from './outbound.js';
export type { EduSender, EduSenderDeps } from './outbound.js';
export { createRemoteKeys } from './remote-keys.js';
export { serversInRoom, serversSharingRoomWith } from './destinations.js';
