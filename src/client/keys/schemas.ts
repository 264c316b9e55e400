import type { SchemaObject } from 'ajv/dist/2020.js';

// Request schemas for the e2e routes, after the spec's OpenAPI (keys.yaml, cross_signing.yaml, to_device.yaml,
// key_backup.yaml). Deeper checks (signatures, key formats) happen in the service.

const userIdMap = (value: SchemaObject): SchemaObject => ({
  type: 'object',
  propertyNames: { pattern: '^@' },
  additionalProperties: value,
});

const keyMap: SchemaObject = {
  type: 'object',
  additionalProperties: {
    oneOf: [{ type: 'string' }, { type: 'object', required: ['key'], properties: { key: { type: 'string' }, signatures: { type: 'object' } } }],
  },
};

const crossSigningKey: SchemaObject = {
  type: 'object',
  required: ['user_id', 'usage', 'keys'],
  properties: {
    user_id: { type: 'string' },
    usage: { type: 'array', items: { type: 'string' } },
    keys: { type: 'object', additionalProperties: { type: 'string' } },
    signatures: { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'string' } } },
  },
};

export const uploadKeysSchema: SchemaObject = {
  type: 'object',
  properties: {
    device_keys: {
      type: 'object',
      required: ['user_id', 'device_id', 'algorithms', 'keys', 'signatures'],
      properties: {
        user_id: { type: 'string' },
        device_id: { type: 'string' },
        algorithms: { type: 'array', items: { type: 'string' } },
        keys: { type: 'object', additionalProperties: { type: 'string' } },
        signatures: { type: 'object' },
      },
    },
    one_time_keys: keyMap,
    fallback_keys: keyMap,
    'org.matrix.msc2732.fallback_keys': keyMap,
  },
};

export const queryKeysSchema: SchemaObject = {
  type: 'object',
  required: ['device_keys'],
  properties: {
    timeout: { type: 'integer' },
    device_keys: userIdMap({ type: 'array', items: { type: 'string' } }),
  },
};

export const claimKeysSchema: SchemaObject = {
  type: 'object',
  required: ['one_time_keys'],
  properties: {
    timeout: { type: 'integer' },
    one_time_keys: userIdMap({ type: 'object', additionalProperties: { type: 'string' } }),
  },
};

export const sendToDeviceSchema: SchemaObject = {
  type: 'object',
  required: ['messages'],
  properties: { messages: userIdMap({ type: 'object', additionalProperties: { type: 'object' } }) },
};

export const crossSigningUploadSchema: SchemaObject = {
  type: 'object',
  properties: {
    master_key: crossSigningKey,
    self_signing_key: crossSigningKey,
    user_signing_key: crossSigningKey,
    auth: { type: 'object' },
  },
};

export const signaturesUploadSchema: SchemaObject = userIdMap({ type: 'object', additionalProperties: { type: 'object' } });

export const backupVersionCreateSchema: SchemaObject = {
  type: 'object',
  required: ['algorithm', 'auth_data'],
  properties: { algorithm: { type: 'string', minLength: 1 }, auth_data: { type: 'object' } },
};

export const backupVersionUpdateSchema: SchemaObject = {
  type: 'object',
  required: ['algorithm', 'auth_data'],
  properties: { algorithm: { type: 'string' }, auth_data: { type: 'object' }, version: { type: 'string' } },
};

const keyBackupData: SchemaObject = {
  type: 'object',
  required: ['first_message_index', 'forwarded_count', 'is_verified', 'session_data'],
  properties: {
    first_message_index: { type: 'integer', minimum: 0, maximum: 2147483647 },
    forwarded_count: { type: 'integer', minimum: 0, maximum: 2147483647 },
    is_verified: { type: 'boolean' },
    session_data: { type: 'object' },
  },
};

export const keyBackupDataSchema: SchemaObject = keyBackupData;

const roomKeyBackup: SchemaObject = {
  type: 'object',
  required: ['sessions'],
  properties: { sessions: { type: 'object', additionalProperties: keyBackupData } },
};

export const roomKeyBackupSchema: SchemaObject = roomKeyBackup;

export const roomsKeyBackupSchema: SchemaObject = {
  type: 'object',
  required: ['rooms'],
  properties: { rooms: { type: 'object', additionalProperties: roomKeyBackup } },
};
