import type { SchemaObject } from 'ajv/dist/2020.js';

// Request body schemas of the room write routes (from the spec's OpenAPI; extra keys are allowed, as there).

const userIds = { type: 'array', items: { type: 'string' } } as const;

export const createRoomSchema: SchemaObject = {
  type: 'object',
  properties: {
    visibility: { type: 'string', enum: ['public', 'private'] },
    room_alias_name: { type: 'string' },
    name: { type: 'string' },
    topic: { type: 'string' },
    invite: userIds,
    invite_3pid: { type: 'array', items: { type: 'object' } },
    room_version: { type: 'string' },
    creation_content: { type: 'object' },
    initial_state: {
      type: 'array',
      items: {
        type: 'object',
        properties: { type: { type: 'string' }, state_key: { type: 'string' }, content: { type: 'object' } },
        required: ['type', 'content'],
      },
    },
    preset: { type: 'string', enum: ['private_chat', 'public_chat', 'trusted_private_chat'] },
    is_direct: { type: 'boolean' },
    power_level_content_override: { type: 'object' },
  },
};

export const reasonSchema: SchemaObject = {
  type: 'object',
  properties: { reason: { type: 'string' } },
};

export const targetSchema: SchemaObject = {
  type: 'object',
  properties: { user_id: { type: 'string' }, reason: { type: 'string' } },
  required: ['user_id'],
};

export const upgradeSchema: SchemaObject = {
  type: 'object',
  properties: { new_version: { type: 'string' }, additional_creators: userIds },
  required: ['new_version'],
};
