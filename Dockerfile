FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DJANGO_STATIC_ROOT=/app/staticfiles python manage.py collectstatic --noinput && python -m stack.i18n
EXPOSE 8000 9000
CMD ["granian", "console.asgi:application", "--interface", "asginl", "--host", "0.0.0.0", "--port", "8000", "--workers", "3", "--http", "1", "--no-ws", "--http1-header-read-timeout", "10000"]
