/**
 * Copying a secret, a pairing code or a URL for a technician. navigator.clipboard needs permission
 * and a secure context; without them the text is selected and the old copy command tried, so the
 * person can still copy it by hand.
 */
async function viaClipboard(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

function copySelected(field: HTMLInputElement | HTMLTextAreaElement): boolean {
  field.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  }
}

/** Copies what a field on the page shows; on failure the field stays selected. */
export async function copyField(field: HTMLInputElement | HTMLTextAreaElement): Promise<boolean> {
  return (await viaClipboard(field.value)) || copySelected(field);
}

/** Copies a text that is not in a field of its own (through a hidden one, if it must). */
export async function copyText(text: string): Promise<boolean> {
  if (await viaClipboard(text)) return true;
  const area = document.createElement('textarea');
  area.value = text;
  area.readOnly = true;
  area.className = 'visually-hidden';
  document.body.append(area);
  try {
    return copySelected(area);
  } finally {
    area.remove();
  }
}
