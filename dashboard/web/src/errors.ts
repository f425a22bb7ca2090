import { ApiError } from './api.ts';
import { hasMessage, message } from './messages/index.ts';

/**
 * What a failed request means, in the catalog's words (the `errors` section): the server's precise
 * `reason` when the catalog knows it, else its `error` code, else a generic sentence that still
 * names the code, so support can find it. The server's English `message` is never shown.
 * `labels` names a 400's fields as the form does ("Brugernavn"), instead of the API's path.
 */
export function errorText(err: unknown, labels: Record<string, string> = {}): string {
  if (!(err instanceof ApiError)) {
    // fetch throws a TypeError when the platform cannot be reached
    return err instanceof TypeError
      ? message('errors', 'code_network')
      : message('errors', 'code_unknown', { code: 'client' });
  }
  const reason = `reason_${err.reason}`;
  if (err.reason && hasMessage('errors', reason)) return message('errors', reason, err.detail);
  if (err.issues.length > 0) {
    const fields = err.issues.map((i) => {
      const top = i.path.split('.').find((part) => !/^\d+$/.test(part)) ?? i.path;
      const why = `issue_${i.code}`;
      return message('errors', 'issue', {
        field: labels[top] ?? labels[i.path] ?? i.path,
        why:
          i.code && hasMessage('errors', why) ? message('errors', why) : message('errors', 'issue_unknown'),
      });
    });
    return message('errors', 'issues', { fields: fields.join('; ') });
  }
  const code = `code_${err.code}`;
  if (hasMessage('errors', code)) return message('errors', code);
  return message('errors', 'code_unknown', { code: err.reason ?? err.code });
}
