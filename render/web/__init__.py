"""The interactive explorer: the storyboard as a static web page with live controls.

- `figure.py`: `WebFigure` (how a kind appears on the page) and `Sprites` (images as sprite sheets);
  each kind's module (render/kinds/) holds the Python side of its figure, `figure(info, arrays, sprites)`;
- `page.py`: the page's HTML;
- `static/`: what the browser runs: `n2i.css`, `n2i.js` (controls, sprites, plots, mounting) and
  `figures/<kind>.js`, one drawing module per figure.

The stage that writes the site is render/stages/web.py.
"""
