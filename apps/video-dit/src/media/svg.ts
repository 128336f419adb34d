import { readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';

/** Font families for chart text, first installed one wins (DejaVu ships with most Linux images). */
export const FONT_FAMILY = "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif";

const FONT_DIRS = [
  '/usr/share/fonts',
  '/usr/local/share/fonts',
  join(homedir(), '.fonts'),
  join(homedir(), '.local/share/fonts'),
  '/System/Library/Fonts',
  '/Library/Fonts',
  'C:\\Windows\\Fonts',
];

let fontsChecked = false;

/** Whether some folder resvg reads system fonts from holds a font file. */
function hasSystemFont(dir: string, depth = 0): boolean {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  return entries.some((entry) =>
    entry.isDirectory()
      ? depth < 4 && hasSystemFont(join(dir, entry.name), depth + 1)
      : /\.(ttf|otf|ttc)$/i.test(entry.name),
  );
}

function warnWithoutFonts(): void {
  if (fontsChecked) return;
  fontsChecked = true;
  if (!FONT_DIRS.some((dir) => hasSystemFont(dir))) {
    process.emitWarning(
      'no system fonts found: charts are drawn without text (on Debian/Ubuntu: apt-get install fonts-dejavu-core)',
    );
  }
}

/**
 * Renders SVG to PNG with resvg, on white, using the system's fonts.
 * @param svg - the SVG document
 * @param zoom - output pixels per SVG unit (default 1)
 * @returns the PNG file's bytes
 */
export function svgToPng(svg: string, zoom = 1): Uint8Array {
  warnWithoutFonts();
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: zoom },
    font: { loadSystemFonts: true, sansSerifFamily: 'DejaVu Sans' },
    logLevel: 'off',
  });
  return resvg.render().asPng();
}

/**
 * Escapes text for an SVG text node or attribute.
 * @param text - any string
 * @returns the string with &, <, >, " and ' escaped
 */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
