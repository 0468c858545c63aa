/**
 * Python's XML parser (xml.etree, /usr/bin/python3) as an independent
 * reader of an SVG file: it fails on anything that is not well-formed XML,
 * and returns the root element's tag and the text of every <text> element
 * in document order. A missing python3 fails the test with a clear message.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PYTHON = '/usr/bin/python3';

const SCRIPT = `
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = '{http://www.w3.org/2000/svg}'
print(json.dumps({'root': root.tag, 'texts': [''.join(t.itertext()) for t in root.iter(ns + 'text')]}))
`;

export interface SvgReading {
  root: string;
  texts: string[];
}

export function readSvgWithPython(file: string): SvgReading {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: the SVG well-formedness check needs Debian's python3 (apt-get install python3)`);
  return JSON.parse(execFileSync(PYTHON, ['-c', SCRIPT, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as SvgReading;
}
