// What role scripts (and users' own roles) import: `import { defineRole } from 'steer'`.
export { defineRole } from './runner/role-api.js';
export type { RoleContext, RoleDefinition, StepOptions, StepResult, StepStatus, Output } from './runner/role-api.js';
export { sh, raw, Command } from './command/command.js';
export { Secret } from './secrets/masker.js';
export type { Facts } from './facts/facts.js';
export type { ModuleResult } from './modules/module.js';
