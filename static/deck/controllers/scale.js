/* Deck controller 'scale' (static/deck/controllers/scale.js): one lifecycle with the
 * others (render, configure, bind, unbind, update, destroy); deck.js orchestrates. */
(function (window, document, OMQ) {
  'use strict';
  var controller = OMQ.util.controller;

  // Fits the fixed logical slide size into any box (the window, presenter panes).
  OMQ.controllers.scale = function Scale(deck) {
    var stages = [];
    function fit() {
      stages.forEach(function (stage) {
        var box = stage[0], inner = stage[1];
        var k = Math.min(box.clientWidth / deck.config.width, box.clientHeight / deck.config.height);
        inner.style.setProperty('--k', k > 0 ? k : 1);
      });
    }
    return controller('scale', {
      configure: function (config) {
        var root = document.documentElement.style;
        root.setProperty('--w', config.width + 'px');
        root.setProperty('--h', config.height + 'px');
        stages = [[deck.el, deck.el.querySelector('.slides')]];
      },
      add: function (box, inner) { stages.push([box, inner]); fit(); },
      bind: function () { window.addEventListener('resize', fit); },
      unbind: function () { window.removeEventListener('resize', fit); },
      update: fit,
      fit: fit
    });
  };
})(window, document, window.OMQ);
