// EDUs of inbound transactions (PUT /send/{txnId}) go to an EduHandler (typing, receipts, presence, device
// lists, to-device messages; implemented in src/federation/edus and wired in main.ts as
// services.federationEdus). The route hands over every EDU with the authenticated origin; a handler
// ignores EDU types it does not know, as the spec asks.

export interface InboundEdu {
  edu_type: string;
  content: unknown;
}

export interface EduHandler {
  /** Applies one EDU sent by `origin`. Errors are logged by the route and do not fail the transaction. */
  handleEdu(origin: string, edu: InboundEdu): Promise<void>;
}

/** The handler used until one is wired: every EDU is ignored. */
export const IGNORE_EDUS: EduHandler = Object.freeze({
  handleEdu: async () => {},
});
