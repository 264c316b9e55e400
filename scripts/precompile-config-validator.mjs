// Part of `npm run build`, after tsc: writes the homeserver.yaml validator, compiled by ajv from the built schema,
// next to dist/src/config/validate.js, so that starting the server does not compile it again (see validate.ts).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const configDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src', 'config');
const { precompiledValidatorSource, PRECOMPILED_VALIDATOR_FILE } = await import(join(configDir, 'validate.js'));
writeFileSync(join(configDir, PRECOMPILED_VALIDATOR_FILE), precompiledValidatorSource());
