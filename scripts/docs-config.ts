import { writeFileSync } from 'node:fs';
import { renderConfigurationDoc } from '../agent/config/configuration-doc.js';

// Run from dist/scripts/ by `npm run docs:config`; the repository root is two levels up.
const target = new URL('../../docs/configuration.md', import.meta.url);
writeFileSync(target, renderConfigurationDoc());
