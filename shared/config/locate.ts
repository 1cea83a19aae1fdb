import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { ConfigProblem } from './errors';

/** `/a/b~1c` → `['a', 'b/c']`, as RFC 6901 escapes them. */
function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * Finds the line of a value in a JSON text by its JSON pointer, so a problem is reported where the
 * bad value is written. JSON is YAML, and the yaml parser keeps every node's position.
 */
export class JsonLocator {
  private readonly lines = new LineCounter();
  private readonly root: Node | null;

  constructor(text: string) {
    // Duplicate keys are legal JSON (the last one wins); they must not stop the search.
    const document = parseDocument(text, { lineCounter: this.lines, uniqueKeys: false });
    this.root = document.errors.length > 0 ? null : (document.contents as Node | null);
  }

  /** Line (1-based) of the problem's value, or of its key when it names one; 1 when not found. */
  lineOf(problem: Pick<ConfigProblem, 'pointer' | 'key'>): number {
    let node = this.root;
    let offset = node?.range?.[0] ?? 0;
    const segments = pointerSegments(problem.pointer);
    if (problem.key !== undefined) segments.push(problem.key);
    for (const [index, segment] of segments.entries()) {
      const last = index === segments.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((item) => (item.key as { value?: unknown } | null)?.value === segment);
        if (!pair) break;
        // An unknown key is pointed at by its name; a bad value at the value itself.
        const keyNode = pair.key as Node | null;
        const target = last && problem.key !== undefined ? keyNode : ((pair.value as Node | null) ?? keyNode);
        offset = target?.range?.[0] ?? offset;
        node = pair.value as Node | null;
      } else if (isSeq(node)) {
        const item = node.items[Number(segment)] as Node | undefined;
        if (!item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else {
        break;
      }
    }
    return this.lines.linePos(offset).line;
  }
}
