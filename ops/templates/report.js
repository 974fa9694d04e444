(function(){
  const sel = id => document.getElementById(id);
  const filters = [['f-person','people'],['f-camera','camera'],['f-severity','severity']];
  function apply(){
    let shown = 0;
    document.querySelectorAll('.event').forEach(card => {
      const ok = filters.every(([id, attr]) => {
        const want = sel(id).value;
        if (!want) return true;
        const have = card.dataset[attr] || '';
        return attr === 'people' ? have.split(' ').includes(want) : have === want;
      });
      card.classList.toggle('hidden', !ok);
      if (ok) shown++;
    });
    sel('shown').textContent = shown + ' shown';
  }
  filters.forEach(([id]) => sel(id).addEventListener('change', apply));
  apply();
})();
