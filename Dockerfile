FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY bpmn ./bpmn
COPY engine ./engine
COPY persistence ./persistence
COPY web ./web
COPY bootstrap.py wsgi.py ./
RUN pip install --no-cache-dir -c constraints.txt .
ENV COMPLAINTS_BPMN=/app/bpmn/complaint_handling.bpmn
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "4", "wsgi:app"]
