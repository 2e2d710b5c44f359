import { api, firstPrediction, Prediction } from '../api';
import { chart } from '../charts';
import { h, message, replaceChildren } from '../dom';
import { percent } from '../format';
import { register } from '../router';

function showPrediction(result: HTMLElement, prediction: Prediction): void {
  const probabilities = Object.entries(prediction.probabilities ?? {}).sort((a, b) => b[1] - a[1]);
  result.dataset.label = prediction.label;
  replaceChildren(
    result,
    h(
      'p',
      { class: 'prediction' },
      'Prediction: ',
      h('strong', { id: 'predicted-label' }, prediction.label),
      ` (${percent(prediction.probabilities?.[prediction.label])})`,
    ),
    chart(
      'Probability of each label',
      {
        tooltip: {},
        grid: { left: 110, right: 24, top: 8, bottom: 32 },
        xAxis: { type: 'value', min: 0, max: 1 },
        yAxis: { type: 'category', inverse: true, data: probabilities.map(([l]) => l) },
        series: [{ type: 'bar', name: 'probability', data: probabilities.map(([, p]) => p) }],
      },
      Math.max(200, 26 * probabilities.length + 40),
    ).figure,
  );
}

register('/try', 'Try it', async (root, route) => {
  const { models } = await api.models();
  root.append(h('h1', {}, 'Try a model'));
  if (models.length === 0) {
    root.append(message('No model registered yet.'));
    return;
  }
  const chosen = route.query.get('model') ?? models[0].model;
  const result = h('div', { id: 'prediction', 'aria-live': 'polite' });
  const preview = h('img', { alt: '', class: 'preview', hidden: true });
  const modelSelect = h(
    'select',
    { id: 'try-model', name: 'model' },
    models.map((m) => h('option', { value: m.model, selected: m.model === chosen }, m.model)),
  );
  const file = h('input', { type: 'file', id: 'try-image', name: 'image', accept: 'image/png,image/jpeg', required: true });
  file.addEventListener('change', () => {
    const image = file.files?.[0];
    if (!image) return;
    preview.src = URL.createObjectURL(image);
    preview.alt = `the image to score: ${image.name}`;
    preview.hidden = false;
  });
  const score = async () => {
    const image = file.files?.[0];
    if (!image) return;
    replaceChildren(result, h('p', { role: 'status' }, 'Scoring…'));
    try {
      const prediction = firstPrediction(await api.score(modelSelect.value, image));
      if (!prediction) throw new Error('the scorer answered without a prediction');
      showPrediction(result, prediction);
    } catch (err) {
      replaceChildren(result, message(`Scoring failed: ${(err as Error).message}`, 'error'));
    }
  };
  const form = h(
    'form',
    {
      id: 'try-form',
      onsubmit: (event: Event) => {
        event.preventDefault();
        void score();
      },
    },
    h('div', { class: 'field' }, h('label', { for: 'try-model' }, 'Model'), modelSelect),
    h('div', { class: 'field' }, h('label', { for: 'try-image' }, 'Image (PNG or JPEG)'), file),
    h('button', { type: 'submit' }, 'Score'),
  );
  root.append(form, preview, result);
});
