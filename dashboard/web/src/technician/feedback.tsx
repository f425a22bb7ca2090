import { useState } from 'preact/hooks';

export interface Said {
  text: string;
  error: boolean;
}

/** What a feedback line shows, and how a control says something on it. */
export function useFeedback(): [Said, (text: string, error?: boolean) => void] {
  const [said, setSaid] = useState<Said>({ text: '', error: false });
  return [said, (text, error = false) => setSaid({ text, error })];
}

/**
 * A status line beside the control that was used: a technician's feedback appears where they are
 * looking (a page-top line is thousands of pixels away on a long page), read out by screen readers.
 */
export function Feedback({ id, said }: { id: string; said: Said }) {
  return (
    <p class={said.error ? 'feedback error' : 'feedback'} id={id} role="status" aria-live="polite">
      {said.text}
    </p>
  );
}
