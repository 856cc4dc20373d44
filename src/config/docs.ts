import { OPTIONS, optionPath } from './options.js';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The README's configuration table, generated from the schema so the two cannot drift. */
export function optionsTable(): string {
  const rows = OPTIONS.map((option) => {
    const fallback = option.schema.default;
    const shown = fallback === undefined ? '' : `\`${JSON.stringify(fallback)}\``;
    return `| \`${optionPath(option)}\` | \`${option.env}\` | ${shown} | ${cell(String(option.schema.description ?? ''))}${option.secret ? ' *(secret)*' : ''} |`;
  });
  return ['| option | env var | default | meaning |', '|---|---|---|---|', ...rows, ''].join('\n');
}
