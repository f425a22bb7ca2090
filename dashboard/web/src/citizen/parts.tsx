import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/** A titled part of the page: a landmark with its own heading, for screen-reader navigation. */
export function Section({
  id,
  title,
  children,
}: {
  id: string;
  title: string;
  children?: ComponentChildren;
}) {
  return (
    <section class="citizen-section" id={id} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
    </section>
  );
}

/**
 * A button that asks first: the yes/no question takes its place, focus on "yes"; "no" puts the
 * button back with focus on it.
 */
export function ConfirmButton({
  id,
  label,
  disabled = false,
  question,
  yesLabel,
  noLabel,
  onYes,
}: {
  id: string;
  label: string;
  disabled?: boolean;
  question: string;
  yesLabel: string;
  noLabel: string;
  onYes: () => void;
}) {
  const [asking, setAsking] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const yes = useRef<HTMLButtonElement>(null);
  const back = useRef(false);
  useEffect(() => {
    if (asking) yes.current?.focus();
    else if (back.current) {
      back.current = false;
      button.current?.focus();
    }
  }, [asking]);
  if (!asking)
    return (
      <button
        ref={button}
        type="button"
        class="danger"
        id={id}
        disabled={disabled}
        onClick={() => setAsking(true)}
      >
        {label}
      </button>
    );
  return (
    // biome-ignore lint/a11y/useSemanticElements: a yes/no question in place of its button, not a form's fieldset
    <div class="confirm" role="group" aria-label={question}>
      <p class="confirm-question">{question}</p>
      <div class="actions">
        <button
          ref={yes}
          type="button"
          class="danger"
          onClick={() => {
            setAsking(false);
            onYes();
          }}
        >
          {yesLabel}
        </button>
        <button
          type="button"
          class="secondary"
          onClick={() => {
            back.current = true;
            setAsking(false);
          }}
        >
          {noLabel}
        </button>
      </div>
    </div>
  );
}
