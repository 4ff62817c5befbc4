// The page viewer: click a thumbnail to view it, zoom in and out (no inline script: the CSP forbids it).
document.addEventListener("DOMContentLoaded", () => {
  const image = document.getElementById("viewer-image");
  if (!image) return;
  let scale = 1;
  document.querySelectorAll("[data-view]").forEach((link) => link.addEventListener("click", (event) => {
    event.preventDefault();
    image.src = link.dataset.view;
  }));
  document.querySelectorAll("[data-zoom]").forEach((button) => button.addEventListener("click", () => {
    const factor = Number(button.dataset.zoom);
    scale = factor === 0 ? 1 : Math.min(8, Math.max(0.25, scale * factor));
    image.style.width = `${scale * 100}%`;
  }));
});
