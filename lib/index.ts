// What role scripts (and users' own roles) import: `import { defineRole } from 'steer'`.
export { defineRole } from './runner/role-api.js';
export type { RoleContext, RoleDefinition, StepOptions, StepResult, StepStatus, Output, Shell } from './runner/role-api.js';
export { sh, raw, Command } from './command/command.js';
export { Secret } from './secrets/masker.js';
export type { Facts } from './facts/facts.js';
export type { ModuleResult } from './modules/module.js';
export { nodeName, nodeNameProblem, nodeNameClashes } from './kube/node-name.js';
export {
  parseKubeVersion,
  formatKubeVersion,
  minorOf,
  compareKubeVersions,
  minorPath,
  nodeAtTarget,
  upgradeRefusal,
  KUBELET_MAX_MINORS_BEHIND,
} from './kube/version.js';
export type { KubeVersion, KubernetesPackage, NodeVersions } from './kube/version.js';
