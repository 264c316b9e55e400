// Unpadded base64 as the Matrix appendix defines it. Decoding accepts padded and unpadded input of
// either alphabet (standard and URL-safe) because peers are lenient about padding on the way in.

export function encodeBase64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64').replace(/=+$/, '');
}

export function encodeBase64Url(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64url');
}

const B64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;

/** Decodes standard or URL-safe base64, padded or not. Throws on characters outside both alphabets. */
export function decodeBase64(text: string): Buffer {
  if (!B64.test(text) || text.replace(/=+$/, '').length % 4 === 1) {
    throw new Error('invalid base64');
  }
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}
