//! Scraping the wikis into a `pokedex.csv` + `sprites/` source folder.
