"""Drive Warden with the unmodified `ollama` package (OLLAMA_HOST from env)."""

import os

import ollama

from common import extra_headers, report, scenario_and_prompt


def client():
    return ollama.Client(host=os.environ["OLLAMA_HOST"], headers=extra_headers(), timeout=30.0)


def chat(prompt):
    response = client().chat(model="llama3", messages=[{"role": "user", "content": prompt}])
    return {
        "outcome": "completed",
        "content": response.message.content,
        "done": response.done,
        "done_reason": response.done_reason,
    }


def chat_stream(prompt):
    parts = list(
        client().chat(model="llama3", messages=[{"role": "user", "content": prompt}], stream=True)
    )
    return {
        "outcome": "completed",
        "content": "".join(p.message.content or "" for p in parts),
        "parts": len(parts),
        "done": [p.done for p in parts],
        "done_reason": parts[-1].done_reason if parts else None,
    }


def generate(prompt):
    response = client().generate(model="llama3", prompt=prompt)
    return {
        "outcome": "completed",
        "content": response.response,
        "done": response.done,
        "done_reason": response.done_reason,
    }


def generate_stream(prompt):
    parts = list(client().generate(model="llama3", prompt=prompt, stream=True))
    return {
        "outcome": "completed",
        "content": "".join(p.response or "" for p in parts),
        "parts": len(parts),
        "done": [p.done for p in parts],
        "done_reason": parts[-1].done_reason if parts else None,
    }


SCENARIOS = {
    "chat": chat,
    "chat_stream": chat_stream,
    "generate": generate,
    "generate_stream": generate_stream,
}


def main():
    scenario, prompt = scenario_and_prompt()
    try:
        result = SCENARIOS[scenario](prompt)
    except ollama.ResponseError as e:
        result = {
            "outcome": "raised",
            "class": type(e).__name__,
            "status_code": e.status_code,
            "error": e.error,
        }
    report(result)


if __name__ == "__main__":
    main()
