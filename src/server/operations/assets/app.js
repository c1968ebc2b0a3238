// The dashboard's only script: live updates over server-sent events, charts with uPlot, and "select
// all". Every page works without it: actions are plain forms and every figure is in the HTML.
(() => {
  const region = document.querySelector('[data-live-region]');
  const announcer = document.getElementById('live-status');
  const colours = ['#1d4ed8', '#b45309', '#b91c1c'];

  function renderCharts(root) {
    if (typeof uPlot === 'undefined') return;
    for (const el of root.querySelectorAll('[data-chart]')) {
      if (el.dataset.rendered) continue;
      let data;
      try {
        data = JSON.parse(el.dataset.chart);
      } catch {
        continue;
      }
      const small = el.classList.contains('chart-small');
      const timeline = data.kind === 'timeline';
      const options = {
        width: Math.max(120, el.clientWidth || 160),
        height: small ? 48 : 240,
        legend: { show: !small },
        cursor: { show: !small },
        scales: { x: { time: !timeline } },
        axes: small
          ? [{ show: false }, { show: false }]
          : [
              {
                label: timeline ? 'seconds into the run' : '',
                values: (_u, ticks) => ticks.map((t) => `${t} s`),
              },
              {},
            ],
        series: [
          { label: timeline ? 'second' : 'run' },
          ...data.series.map((s, i) => ({
            label: s.label,
            stroke: colours[i % colours.length],
            width: small ? 1.5 : 2,
          })),
        ],
      };
      el.textContent = '';
      // eslint-disable-next-line no-new
      new uPlot(options, [data.x, ...data.series.map((s) => s.values)], el);
      el.dataset.rendered = '1';
    }
  }

  function announce(text) {
    if (announcer) announcer.textContent = text;
  }

  const spec = region ? region.dataset.liveEvents || 'none' : 'none';

  function wanted(event) {
    if (spec === 'all') return true;
    const [kind, ids] = spec.split(':');
    if (kind === 'run') return event.runId === ids;
    if (kind === 'replay') return Boolean(event.replay) && ids.split(',').includes(event.replay.id);
    return false;
  }

  let timer;
  let busy = false;
  let again = false;
  let lastRefresh = 0;

  async function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    lastRefresh = Date.now();
    try {
      const response = await fetch(region.dataset.fragment, { credentials: 'same-origin' });
      if (response.ok) {
        const focused = document.activeElement?.id;
        const template = document.createElement('template');
        // The fragment is the server's own escaped HTML, the same as the page was made of.
        template.innerHTML = await response.text();
        region.replaceChildren(template.content);
        if (focused) document.getElementById(focused)?.focus();
        renderCharts(region);
        document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed || 0) + 1);
      }
    } finally {
      busy = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  }

  function schedule(delay = 150) {
    clearTimeout(timer);
    timer = setTimeout(refresh, delay);
  }

  function showProgress(event) {
    for (const [state, n] of Object.entries(event.counts)) {
      const selector = `[data-live-count="${CSS.escape(`${event.runId}:${state}`)}"]`;
      for (const el of document.querySelectorAll(selector)) el.textContent = n.toLocaleString('en-US');
    }
    for (const el of document.querySelectorAll(`[data-live-rate="${CSS.escape(event.runId)}"]`)) {
      el.textContent = String(event.ratePerSec);
    }
  }

  if (region && spec !== 'none') {
    const source = new EventSource('/api/events');
    let opened = false;
    source.addEventListener('open', () => {
      document.body.dataset.live = 'connected';
      // Whatever happened between rendering the page (or losing the stream) and now was not heard: catch up.
      if (opened || region.querySelector('[aria-busy="true"]')) schedule(0);
      opened = true;
    });
    source.addEventListener('error', () => {
      document.body.dataset.live = 'reconnecting';
    });
    source.addEventListener('run.progress', (message) => {
      const event = JSON.parse(message.data);
      showProgress(event);
      // The run page's chart and tables follow, a redraw a second at most.
      if (spec.startsWith('run:') && wanted(event) && Date.now() - lastRefresh > 1000) schedule(0);
    });
    const words = {
      integration: (e) => `${e.integration.name} is ${e.integration.state}`,
      'run.started': (e) => `run of ${e.integration} started`,
      'run.finished': (e) => `run of ${e.integration} ended: ${e.status.replace(/_/g, ' ')}`,
      'replay.started': (e) => `replay of ${e.replay.integration} started`,
      'replay.finished': (e) => `replay of ${e.replay.integration} ${e.replay.state}`,
    };
    for (const [type, say] of Object.entries(words)) {
      source.addEventListener(type, (message) => {
        const event = JSON.parse(message.data);
        if (!wanted(event)) return;
        announce(say(event));
        schedule();
      });
    }
  }

  const selectAll = document.querySelector('[data-select-all]');
  selectAll?.addEventListener('change', () => {
    for (const box of document.querySelectorAll('input[name="id"]')) box.checked = selectAll.checked;
  });

  renderCharts(document);
})();
