import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { text, type HttpResponse } from '../http/response';

// Served from our own package (swagger-ui-dist), never from a CDN: the docs work offline and
// behind a strict content security policy.
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>EventGate API</title>
  <link rel="stylesheet" href="docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="docs/swagger-ui-bundle.js"></script>
  <script src="docs/init.js"></script>
</body>
</html>
`;

// Separate file so the page needs no inline script.
const INIT = `window.ui = SwaggerUIBundle({ url: new URL('api', document.baseURI).href, dom_id: '#swagger-ui' });\n`;

function assetDirectory(): string {
  return path.dirname(require.resolve('swagger-ui-dist/package.json'));
}

const cache = new Map<string, string>();

export function docsPage(): HttpResponse {
  return text(200, PAGE, 'text/html; charset=utf-8');
}

export async function docsAsset(name: string): Promise<HttpResponse | null> {
  if (name === 'init.js') return text(200, INIT, 'application/javascript; charset=utf-8');
  const contentType = ASSETS[name];
  if (!contentType) return null;
  let body = cache.get(name);
  if (body === undefined) {
    body = await readFile(path.join(assetDirectory(), name), 'utf8');
    cache.set(name, body);
  }
  const response = text(200, body, contentType);
  response.headers['Cache-Control'] = 'public, max-age=86400';
  return response;
}
