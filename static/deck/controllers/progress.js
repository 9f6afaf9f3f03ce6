/* Deck controller 'progress' (static/deck/controllers/progress.js): one lifecycle with the
 * others (render, configure, bind, unbind, update, destroy); deck.js orchestrates. */
(function (window, document, OMQ) {
  'use strict';
  var make = OMQ.util.make, controller = OMQ.util.controller;

  OMQ.controllers.progress = function Progress(deck) {
    var bar, fill, number;
    return controller('progress', {
      render: function () {
        bar = make('div', 'progress', deck.el);
        fill = make('span', '', bar);
        number = make('div', 'slide-number', deck.el);
        bar.addEventListener('click', function (e) {
          var h = Math.floor(e.clientX / bar.clientWidth * deck.slides.length);
          deck.goTo(h, 0, {source: 'click'});
        });
      },
      configure: function (config) {
        bar.hidden = !config.progress;
        number.hidden = !config.slideNumber;
      },
      update: function (state) {
        var steps = state.fragments ? state.f / (state.fragments + 1) : 0;
        var share = state.count > 1 ? (state.h + steps) / (state.count - 1) : 1;
        fill.style.width = (share * 100).toFixed(2) + '%';
        number.textContent = deck.label(state.h) + ' / ' + (deck.vertical ? deck.columns : state.count);
      },
      destroy: function () { bar.remove(); number.remove(); }
    });
  };
})(window, document, window.OMQ);
