/**
 * Regenerates the settings table in README.md from the config schema:
 * `npx tsx scripts/settings-table.ts` (prints it) or `… --write` (replaces it in README.md).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { settingsTable } from '../platform/config.ts';

const table = settingsTable();
if (!process.argv.includes('--write')) {
  console.log(table);
} else {
  const path = new URL('../README.md', import.meta.url);
  const readme = readFileSync(path, 'utf8');
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => /^\| variable\s+\| default\s+\| meaning\s+\|$/.test(l));
  if (start < 0) throw new Error('README.md has no settings table to replace');
  let end = start;
  while (end < lines.length && lines[end]!.startsWith('|')) end++;
  lines.splice(start, end - start, ...table.split('\n'));
  writeFileSync(path, lines.join('\n'));
  console.log(`README.md: ${end - start} table lines replaced by ${table.split('\n').length}`);
}
