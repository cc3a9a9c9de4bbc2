// `npm run build`'s last step: node build/lib/playbook/precompile.js writes the playbook schema's
// precompiled validator next to the compiled engine (see playbook-validator.ts).
import { writePrecompiledValidator } from './playbook-validator.js';

writePrecompiledValidator();
