// Picks the renderer: --json for machines, the live view on a terminal, plain lines otherwise
// (as listr2 falls back when stdout is not a TTY).
import type { Renderer } from './events.js';
import { JsonRenderer } from './json.js';
import { LiveRenderer } from './live.js';
import { PlainRenderer } from './plain.js';

export interface RendererChoice {
  output: 'auto' | 'plain' | 'json';
  verbosity: number;
  diff: boolean;
  stream?: NodeJS.WriteStream;
}

export function chooseRenderer(choice: RendererChoice): Renderer {
  const stream = choice.stream ?? process.stdout;
  const write = (text: string) => void stream.write(text);
  if (choice.output === 'json') return new JsonRenderer(write);
  const tty = Boolean(stream.isTTY) && !process.env['CI'];
  const colour = tty && !process.env['NO_COLOR'];
  const options = { verbosity: choice.verbosity, diff: choice.diff, colour, write };
  return choice.output === 'auto' && tty ? new LiveRenderer(options) : new PlainRenderer(options);
}
