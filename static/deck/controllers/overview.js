/* Deck controller 'overview' (static/deck/controllers/overview.js): one lifecycle with the
 * others (render, configure, bind, unbind, update, destroy); deck.js orchestrates. */
(function (window, document, OMQ) {
  'use strict';
  var clamp = OMQ.util.clamp, controller = OMQ.util.controller;

  // A grid of every slide; arrows choose, Enter or a click goes there.
  OMQ.controllers.overview = function Overview(deck) {
    var open = false, selected = 0, before = 0;
    function select(i) {
      deck.slides[selected].classList.remove('selected');
      selected = clamp(i, 0, deck.slides.length - 1);
      deck.slides[selected].classList.add('selected');
      deck.slides[selected].scrollIntoView({block: 'nearest'});
    }
    function columns() {
      var first = deck.slides[0], top = first.offsetTop, n = 0;
      while (n < deck.slides.length && deck.slides[n].offsetTop === top) n++;
      return Math.max(n, 1);
    }
    function onClick(e) {
      var slide = open && e.target.closest('.slide');
      if (!slide) return;
      e.preventDefault();
      self.close(deck.slides.indexOf(slide));
    }
    function show(value) {
      open = value;
      deck.el.classList.toggle('overview', open);
      deck.controllers.scale.fit();
      deck.emit('overview', {open: open});
    }
    var self = controller('overview', {
      bind: function () { deck.el.addEventListener('click', onClick, true); },
      unbind: function () { deck.el.removeEventListener('click', onClick, true); },
      open: function () {
        if (open) return;
        before = deck.state().h;
        deck.controllers.fit.all();  // measured at full size, before the grid zooms them out
        deck.el.style.setProperty('--ov-zoom', Math.min(1, 240 / deck.config.width));
        show(true);
        select(before);
      },
      // close(h): go to slide h (a slide chosen from the grid); close(): stay where the deck was
      close: function (h) {
        if (!open) return;
        deck.slides[selected].classList.remove('selected');
        deck.el.scrollTop = 0;
        show(false);
        if (h != null && h !== deck.state().h) deck.goTo(h, 0, {source: 'click'});
      },
      toggle: function () { if (open) self.close(); else self.open(); },
      onKey: function (e) {
        if (!open) return false;
        var moves = {ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns(), ArrowUp: -columns()};
        if (deck.vertical) {  // the grid is the deck's columns: across to a column's top, down within it
          var p = deck.place(selected), below = deck.place(selected + 1);
          moves = {ArrowRight: deck.top(p.c + 1) - selected, ArrowLeft: deck.top(p.c - 1) - selected,
                   ArrowDown: selected + 1 < deck.slides.length && below.c === p.c ? 1 : 0, ArrowUp: p.r ? -1 : 0};
        }
        if (moves[e.key] !== undefined) select(selected + moves[e.key]);
        else if (e.key === 'Enter' || e.key === ' ' || e.key === 'o') self.close(selected);
        else if (e.key === 'Escape') self.close();
        else if (e.key === 'Home') select(0);
        else if (e.key === 'End') select(deck.slides.length - 1);
        else return false;
        return true;
      },
      isOpen: function () { return open; }
    });
    return self;
  };
})(window, document, window.OMQ);
