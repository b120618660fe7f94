"""Small pieces every feature uses: workers (ops), undo, appearance, translations, messages, models."""
