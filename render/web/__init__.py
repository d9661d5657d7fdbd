"""The interactive explorer: the storyboard as a static web page with live controls.

- `figure.py`: `WebFigure` (how a kind appears on the page) and `Sprites` (images as sprite sheets);
- `figures.py`: the Python side of the shipped kinds' figures (chapter data -> figure JSON + sheets);
- `page.py`: the page's HTML;
- `static/`: what the browser runs: `n2i.css`, `n2i.js` (controls, sprites, plots, mounting) and
  `figures/<kind>.js`, one drawing module per figure.

The stage that writes the site is render/stages/web.py.
"""
