// Start Swagger UI on /api/docs (an external script: the page keeps the strict Content-Security-Policy).
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
});
