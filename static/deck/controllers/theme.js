/* Deck controller 'theme' (static/deck/controllers/theme.js): one lifecycle with the
 * others (render, configure, bind, unbind, update, destroy); deck.js orchestrates. */
(function (window, document, OMQ) {
  'use strict';
  var controller = OMQ.util.controller;

  OMQ.controllers.theme = function Theme(deck) {
    var root = document.documentElement;
    var self = controller('theme', {
      configure: function (config) {
        if (config.theme && config.themes.indexOf(config.theme) >= 0) root.setAttribute('data-theme', config.theme);
      },
      cycle: function () {
        var themes = deck.config.themes;
        var next = themes[(themes.indexOf(root.getAttribute('data-theme')) + 1) % themes.length];
        root.setAttribute('data-theme', next);
        deck.emit('themechanged', {theme: next});
      }
    });
    return self;
  };
})(window, document, window.OMQ);
