"""Generate the shipped prompts (espeak-ng + sox) and the synthesised music on hold.

Run once from the repository root: ``python scripts/make_prompts.py``. Writes 8 kHz mono
16-bit WAV files to ``src/standardiste/media/prompts/{fr,en}/`` and ``.../prompts/moh.wav``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src" / "standardiste" / "media" / "prompts"
RATE = 8000

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "recording_notice": (
            "Bienvenue au service des impôts. Cet appel peut être enregistré par votre "
            "conseiller, en cas de propos injurieux ou menaçants. Vous pouvez vous y opposer à "
            "tout moment en appuyant sur la touche étoile, ou en le disant à votre conseiller."
        ),
        "welcome_menu": (
            "Pour l'impôt sur le revenu, tapez 1. Pour les impôts locaux et la taxe foncière, "
            "tapez 2. Pour le paiement et le prélèvement à la source, tapez 3. Pour un autre "
            "sujet, tapez 0. Pour réécouter ce message, tapez dièse."
        ),
        "please_hold": "Merci de patienter, un conseiller va prendre votre appel.",
        "your_position_is": "Votre position dans la file d'attente est :",
        "estimated_wait": "Le temps d'attente estimé est de :",
        "minutes": "minutes.",
        "closed": (
            "Nos services sont fermés. Nous sommes ouverts du lundi au vendredi, de 8 heures 30 "
            "à 17 heures 30. Vous pouvez aussi nous écrire depuis votre espace particulier sur "
            "impots point gouv point f r. Au revoir."
        ),
        "invalid_choice": "Ce choix n'est pas valide.",
    },
    "en": {
        "recording_notice": (
            "Welcome to the tax office. This call may be recorded by your adviser in case of "
            "abusive or threatening language. You may object at any time by pressing the star "
            "key, or by telling your adviser."
        ),
        "welcome_menu": (
            "For income tax, press 1. For local and property taxes, press 2. For payments and "
            "withholding tax, press 3. For anything else, press 0. To hear this menu again, "
            "press the hash key."
        ),
        "please_hold": "Please hold, an adviser will take your call shortly.",
        "your_position_is": "Your position in the queue is:",
        "estimated_wait": "The estimated waiting time is:",
        "minutes": "minutes.",
        "closed": (
            "Our offices are closed. We are open Monday to Friday, from 8:30 a.m. to 5:30 p.m. "
            "You can also write to us from your personal space on impots dot gouv dot f r. "
            "Goodbye."
        ),
        "invalid_choice": "This choice is not valid.",
    },
}
VOICES = {"fr": "fr-fr", "en": "en-gb"}


def speak(text: str, voice: str, dest: Path) -> None:
    """Synthesise ``text`` and convert it to 8 kHz mono 16-bit with sox."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text], check=True)
        # Band-limit to telephony before decimating, then normalise to -3 dBFS.
        subprocess.run(
            ["sox", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(dest)]
            + ["sinc", "200-3400", "norm", "-3"]
            # Trim leading and trailing silence so numbers join naturally after a sentence.
            + ["silence", "1", "0.02", "0.5%", "reverse"]
            + ["silence", "1", "0.02", "0.5%", "reverse"],
            check=True,
        )


def write_wav(path: Path, samples: np.ndarray) -> None:
    """Write int16 samples as an 8 kHz mono WAV."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(samples.astype("<i2").tobytes())


def music_on_hold(seconds_per_chord: float = 3.75) -> np.ndarray:
    """Synthesise a calm, seamlessly loopable I-vi-IV-V progression (twice, 30 s)."""
    midi = [
        [48, 60, 64, 67, 72],  # C
        [45, 57, 60, 64, 69],  # Am
        [41, 53, 57, 60, 65],  # F
        [43, 55, 59, 62, 67],  # G
    ] * 2
    n = round(seconds_per_chord * RATE)
    fade = round(0.8 * RATE)
    total = n * len(midi)
    out = np.zeros(total, dtype=np.float64)
    t = np.arange(n + fade) / RATE
    env = np.ones(n + fade)
    env[:fade] = np.sin(np.linspace(0, np.pi / 2, fade)) ** 2
    env[-fade:] = np.cos(np.linspace(0, np.pi / 2, fade)) ** 2
    for i, chord in enumerate(midi):
        tone = np.zeros_like(t)
        for j, note in enumerate(chord):
            f = 440.0 * 2 ** ((note - 69) / 12)
            level = 0.5 if j == 0 else 0.3
            # A soft second harmonic and slow tremolo keep it warm without being busy.
            tremolo = 1 + 0.08 * np.sin(2 * np.pi * (0.4 + 0.1 * j) * t)
            tone += level * tremolo * (np.sin(2 * np.pi * f * t) + 0.2 * np.sin(4 * np.pi * f * t))
        start = i * n
        idx = (start + np.arange(n + fade)) % total  # wrap the last fade onto the start: loopable
        np.add.at(out, idx, tone * env)
    out *= 0.45 * 32767 / np.max(np.abs(out))
    return np.round(out).astype(np.int16)


def main() -> None:
    """Generate every prompt."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is required (Debian packages espeak-ng and sox)")
    for lang, texts in TEXTS.items():
        folder = args.out / lang
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            speak(text, VOICES[lang], folder / f"{name}.wav")
        for value in range(21):
            speak(str(value), VOICES[lang], folder / f"{value}.wav")
    write_wav(args.out / "moh.wav", music_on_hold())


if __name__ == "__main__":
    main()
