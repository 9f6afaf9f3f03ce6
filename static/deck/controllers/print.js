/* Deck controller 'print' (static/deck/controllers/print.js): one lifecycle with the
 * others (render, configure, bind, unbind, update, destroy); deck.js orchestrates. */
(function (window, document, OMQ) {
  'use strict';
  var make = OMQ.util.make, controller = OMQ.util.controller;

  // ?print lays every slide out as one page with all fragments shown; the
  // browser's own print (Ctrl+P) gets the same layout for as long as it prints.
  OMQ.controllers.print = function Print(deck) {
    var style;
    function enter() {
      document.documentElement.classList.add('print');
      deck.controllers.fit.all();
      deck.controllers.fragments.showAll();
      if (deck.config.mode === 'print') deck.controllers.widgets.showAll();
    }
    function leave() {
      if (deck.config.mode === 'print') return;
      document.documentElement.classList.remove('print');
      var state = deck.state();
      deck.controllers.fragments.apply(state.h, state.f);
    }
    return controller('print', {
      render: function () {
        style = make('style', '', document.head);
        style.textContent = '@page{size:' + deck.config.width + 'px ' + deck.config.height + 'px;margin:0}';
      },
      bind: function () {
        window.addEventListener('beforeprint', enter);
        window.addEventListener('afterprint', leave);
        if (deck.config.mode !== 'print') return;
        enter();
        var done = function () { document.documentElement.setAttribute('data-print', 'ready'); };
        var fonts = document.fonts ? document.fonts.ready : Promise.resolve();
        if (document.readyState === 'complete') fonts.then(done);
        else window.addEventListener('load', function () { fonts.then(done); });
      },
      unbind: function () {
        window.removeEventListener('beforeprint', enter);
        window.removeEventListener('afterprint', leave);
      },
      update: function () { if (document.documentElement.classList.contains('print')) deck.controllers.fragments.showAll(); },
      destroy: function () { style.remove(); }
    });
  };
})(window, document, window.OMQ);
