/* Deck controller 'theme' (static/deck/controllers/theme.js): one lifecycle with the
 * others (render, configure, bind, unbind, update, destroy); deck.js orchestrates. */
(function (window, document, OMQ) {
  'use strict';
  var controller = OMQ.util.controller, make = OMQ.util.make;
  var KEY = 'omq-theme';  // shared with the demo server's pages (static/theme.js) when same-origin

  function remembered() {
    try { return window.localStorage.getItem(KEY); } catch (err) { return null; }  // file:// may refuse storage
  }

  // The theme: ?theme= wins, then the one last chosen with `t`, then the build's.
  // `t` moves to the next one, says which in a toast, and remembers it.
  OMQ.controllers.theme = function Theme(deck) {
    var root = document.documentElement, toast = null, timer = null;
    function set(theme) {
      root.setAttribute('data-theme', theme);
      deck.emit('themechanged', {theme: theme});
    }
    function say(text) {
      if (!toast) toast = make('div', 'omq-toast', document.body);
      toast.setAttribute('role', 'status');
      toast.textContent = text;
      toast.classList.remove('gone');
      clearTimeout(timer);
      timer = setTimeout(function () { toast.classList.add('gone'); }, 1600);
    }
    var self = controller('theme', {
      configure: function (config) {  // config.theme: ?theme= or an option
        var theme = [config.theme, remembered()].filter(function (t) { return config.themes.indexOf(t) >= 0; })[0];
        if (theme) root.setAttribute('data-theme', theme);
      },
      current: function () { return root.getAttribute('data-theme'); },
      cycle: function () {
        var themes = deck.config.themes;
        var next = themes[(themes.indexOf(self.current()) + 1) % themes.length];
        try { window.localStorage.setItem(KEY, next); } catch (err) { /* not remembered, still applied */ }
        set(next);
        say('Theme: ' + next + ' (t for the next)');
      },
      destroy: function () { clearTimeout(timer); if (toast) toast.remove(); }
    });
    return self;
  };
})(window, document, window.OMQ);
