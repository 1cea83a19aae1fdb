/** What every handler returns; valid as both a REST (v1) and an HTTP API (v2) proxy result. */
export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded?: boolean;
}

/** One entry of the documented error list; extra fields (instancePath, sink, index…) may follow. */
export interface ApiError {
  type: string;
  message: string;
  [detail: string]: unknown;
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** The error shape shared with the Python EventGate: `{success:false, statusCode, errors:[…]}`. */
export function errorResponse(
  statusCode: number,
  errors: ApiError | ApiError[],
  headers: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): HttpResponse {
  return json(
    statusCode,
    { success: false, statusCode, errors: Array.isArray(errors) ? errors : [errors], ...extra },
    headers,
  );
}

export function text(statusCode: number, body: string, contentType: string): HttpResponse {
  return { statusCode, headers: { 'Content-Type': contentType }, body };
}
