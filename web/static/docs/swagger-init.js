// Swagger UI for /api/docs, started from a file rather than an inline script (the page's
// Content-Security-Policy allows scripts from this origin only).
window.addEventListener("load", () => {
  const container = document.getElementById("swagger-ui-container");
  window.ui = SwaggerUIBundle({
    url: container.dataset.specUrl,
    dom_id: "#swagger-ui-container",
    ...JSON.parse(container.dataset.config),
  });
});
