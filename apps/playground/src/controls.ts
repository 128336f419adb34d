import type { Control, ControlValues } from './laws/laws.js';
import { el } from './plot.js';

const SLIDER_STEPS = 1000;

function fromSlider(control: Extract<Control, { type: 'number' }>, position: number): number {
  const f = position / SLIDER_STEPS;
  const raw = control.log ? Math.exp(Math.log(control.min) + f * (Math.log(control.max) - Math.log(control.min))) : control.min + f * (control.max - control.min);
  const rounded = Math.round(raw / control.step) * control.step;
  return Number.parseFloat(Math.min(control.max, Math.max(control.min, rounded)).toPrecision(12));
}

function toSlider(control: Extract<Control, { type: 'number' }>, value: number): number {
  const f = control.log ? (Math.log(value) - Math.log(control.min)) / (Math.log(control.max) - Math.log(control.min)) : (value - control.min) / (control.max - control.min);
  return Math.round(Math.min(1, Math.max(0, f)) * SLIDER_STEPS);
}

/**
 * Inputs for a row's controls, writing into `values` and calling `changed` on every change.
 * @returns a span of labelled inputs; each input's name is the control's key.
 */
export function controlInputs(controls: readonly Control[], values: ControlValues, changed: () => void): HTMLElement {
  const span = el('span', { class: 'controls' });
  for (const control of controls) {
    if (control.type === 'choice') {
      const select = el('select', { name: control.key }, ...control.options.map((option) => el('option', { value: option }, option)));
      select.value = String(values[control.key] ?? control.value);
      select.addEventListener('change', () => {
        values[control.key] = select.value;
        changed();
      });
      span.append(el('label', {}, `${control.label} `, select));
      continue;
    }
    const shown = el('output', {}, String(values[control.key]));
    const slider = el('input', { type: 'range', name: control.key, min: '0', max: String(SLIDER_STEPS), step: '1' });
    slider.value = String(toSlider(control, values[control.key] as number));
    slider.addEventListener('input', () => {
      values[control.key] = fromSlider(control, Number(slider.value));
      shown.textContent = String(values[control.key]);
      changed();
    });
    span.append(el('label', {}, `${control.label} `, slider, shown));
  }
  return span;
}

/** A drop-down of table rows by id and label. */
export function rowSelect(rows: readonly { id: string; label: string }[], value: string, name: string, changed: (id: string) => void): HTMLSelectElement {
  const select = el('select', { name }, ...rows.map((row) => el('option', { value: row.id }, row.label)));
  select.value = value;
  select.addEventListener('change', () => changed(select.value));
  return select;
}
