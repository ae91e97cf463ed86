# One image for web, worker, beat and migrations; docker-compose.yml picks the command.
FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY helpdesk helpdesk
COPY tickets tickets
COPY sla sla
COPY knowledge knowledge
COPY escalations escalations
COPY integrations integrations
COPY reports reports
RUN pip install --no-cache-dir .
COPY . .
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && useradd --system --home /app helpdesk && mkdir -p /app/var/media \
    && chown -R helpdesk /app/var
USER helpdesk
EXPOSE 8000
# uvicorn's limits as in helpdesk/embedded.py (UVICORN_LIMITS); a reverse proxy in front bounds
# the rest (README.md, "Request limits").
CMD ["python", "-m", "uvicorn", "helpdesk.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers", "--timeout-keep-alive", "5", "--ws-max-size", "1048576", "--http", "helpdesk.http_protocol:BoundedHeadersProtocol"]
