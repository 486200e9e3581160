// Small DOM helpers: clone translated <template>s, give their labels unique ids.
let counter = 0;

/** Return a fresh id with a readable prefix. */
export function uid(prefix) { counter += 1; return `${prefix}-${counter}`; }

/** Clone template #id; bind each label[data-for] to its control[data-name] with unique ids. */
export function clone(id) {
  const fragment = document.getElementById(id).content.cloneNode(true);
  const root = fragment.firstElementChild;
  for (const labelEl of root.querySelectorAll("label[data-for]")) {
    const control = root.querySelector(`[data-name="${labelEl.dataset.for}"]`);
    if (!control) continue;
    control.id = uid(labelEl.dataset.for);
    control.name = labelEl.dataset.for;
    labelEl.htmlFor = control.id;
  }
  return root;
}

/** Return the element of `root` with data-slot=name. */
export function slot(root, name) { return root.querySelector(`[data-slot="${name}"]`); }

/** Append <option>s for [value, text] pairs, keeping the first placeholder option. */
export function fillOptions(select, pairs) {
  while (select.options.length > 1) select.remove(1);
  for (const [value, text] of pairs) select.add(new Option(text, value));
}

/** Say something to screen-reader users through the polite live region. */
export function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A fresh text node after a tick makes screen readers repeat identical announcements.
  setTimeout(() => { region.textContent = text; }, 50);
}
