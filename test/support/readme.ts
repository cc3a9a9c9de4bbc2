// The README's opening commands: the first code block holds exactly two, the main job (a lab and the
// site playbook on it) and the test command. CI (.ci/run) and the clean-machine test run them as written.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './steer-cli.js';

export interface ReadmeCommands {
  /** Lab up and the site playbook on the lab hosts. */
  main: string;
  /** Every test. */
  test: string;
}

/** The two commands of the README's first ```sh block; throws if the block holds anything else. */
export function readmeCommands(readme: string = readFileSync(join(repoRoot, 'README.md'), 'utf8')): ReadmeCommands {
  const block = /^```sh\n([\s\S]*?)^```$/m.exec(readme)?.[1];
  if (block === undefined) throw new Error('README.md has no ```sh block');
  const lines = block.split('\n').filter((line) => line.trim() !== '');
  if (lines.length !== 2) throw new Error(`README.md's first \`\`\`sh block must hold exactly two commands, it holds ${lines.length}`);
  return { main: lines[0]!, test: lines[1]! };
}
