// `npm run build`'s last step (node build/lib/ajv/precompile.js): compiles the schemas steer ships
// — the playbook schema and the variables declared by the roles in its roles/ — into build/validators/.
import { existsSync, readdirSync } from 'node:fs';
import { packagePath } from '../package-root.js';
import { playbookAjvOptions, playbookSchema } from '../playbook/playbook-validator.js';
import { loadRoleVariables } from '../playbook/role-variables.js';
import { variableAjvOptions } from '../vars/validate.js';
import { writePrecompiledValidators } from './precompiled.js';

writePrecompiledValidators(playbookAjvOptions, [playbookSchema]);

const rolesDir = packagePath('roles');
const roleDirs = existsSync(rolesDir) ? readdirSync(rolesDir).map((name) => packagePath('roles', name)) : [];
const variables = [...roleDirs, packagePath('lib', 'runner', 'ad-hoc')].flatMap((dir) => loadRoleVariables(dir));
writePrecompiledValidators(variableAjvOptions, variables.map((v) => v.schema));
