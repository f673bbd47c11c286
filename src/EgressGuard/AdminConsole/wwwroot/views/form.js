// Form helpers shared by the rule, explain and quarantine forms: labelled fields with an error line
// each, and API validation errors placed next to the field they name.
import { h } from '../dom.js';

/** A labelled input (or select) with its help and error lines; returns the wrapper. */
export function field(form, name, label, control, help) {
  const id = `${form}-${name}`;
  control.id = id;
  control.name = name;
  const described = [help ? `${id}-help` : null, `${id}-error`].filter(Boolean).join(' ');
  control.setAttribute('aria-describedby', described);
  return h('div', { class: 'field', 'data-field': name },
    h('label', { for: id, text: label }),
    control,
    help ? h('p', { class: 'help', id: `${id}-help`, text: help }) : null,
    h('p', { class: 'field-error', id: `${id}-error`, 'data-error-for': name }));
}

export function select(options, value) {
  return h('select', {}, options.map(([v, text]) => h('option', { value: v, text, selected: v === value })));
}

export function clearErrors(form) {
  for (const el of form.querySelectorAll('.field-error, .form-error')) el.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

/**
 * Puts each error next to the field it names. The API names fields as the rules file does:
 * "rule 'x': destinations[0] = 'a b': …", "id is required", "client = 'x': not an IP address".
 * Errors that name no field of this form go to the form's own error line.
 */
export function showErrors(form, errors, names) {
  clearErrors(form);
  const general = [];
  let first = null;
  for (const error of errors) {
    const name = names.find((n) => new RegExp(`(^|: )${n}(\\[\\d+\\])?\\b`).test(error));
    const line = name ? form.querySelector(`[data-error-for="${name}"]`) : null;
    if (!line) {
      general.push(error);
      continue;
    }
    line.textContent = line.textContent ? `${line.textContent} ${error}` : error;
    const control = form.elements.namedItem(name);
    control?.setAttribute('aria-invalid', 'true');
    first ??= control;
  }
  const formError = form.querySelector('.form-error');
  if (formError) formError.textContent = general.join(' ');
  (first ?? formError)?.focus?.();
}

/** "a, b c" → ["a", "b", "c"]; empty → undefined (so the field is left out). */
export function splitList(text) {
  const items = String(text ?? '').split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
  return items.length > 0 ? items : undefined;
}
