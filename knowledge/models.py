"""Knowledge-base articles, categories, versions and translations."""
