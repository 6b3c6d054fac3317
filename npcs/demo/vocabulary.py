"""Names and phrases of the demo world: the words, not the rules (those are in `npcs.demo.world`)."""

from __future__ import annotations

from npcs.choices import Tribe

FIRST_NAMES = {
    Tribe.ROMANS: (
        "Aurelius", "Marcus", "Livia", "Cassius", "Octavia", "Tiberius", "Valeria", "Quintus", "Julia", "Decimus",
        "Flavia", "Lucius", "Cornelia", "Gaius", "Antonia", "Servius", "Claudia", "Titus", "Aemilia", "Publius",
        "Drusilla", "Gnaeus", "Fabia", "Appius", "Horatia", "Sextus", "Lucretia", "Numerius", "Aurelia", "Manius",
        "Junia", "Spurius", "Camilla", "Vibius", "Porcia", "Aulus", "Tullia", "Kaeso", "Sabina", "Postumus",
    ),
    Tribe.GAULS: (
        "Vercingetorix", "Brennus", "Epona", "Ambiorix", "Boudica", "Orgetorix", "Rosmerta", "Dumnorix", "Sirona",
        "Commius", "Nantosuelta", "Divico", "Cartimandua", "Lucterius", "Damona", "Viridomarus", "Belisama",
        "Cotuatus", "Arduinna", "Indutiomarus", "Onuava", "Segovax", "Rigantona", "Cingetorix", "Nemetona",
        "Drappes", "Andarta", "Litaviccus", "Coventina", "Eporedorix", "Brigantia", "Correus", "Sequana",
        "Moritasgus", "Icovellauna", "Acco", "Verbeia", "Catuvolcus", "Abnoba", "Tasgetius",
    ),
    Tribe.TEUTONS: (
        "Arminius", "Thusnelda", "Segestes", "Gunhild", "Marbod", "Hildegard", "Theoderic", "Brunhild", "Alaric",
        "Sigrun", "Odoacer", "Gudrun", "Radagaisus", "Kriemhild", "Genseric", "Ragnhild", "Totila", "Hrotsvitha",
        "Gundobad", "Adalgisa", "Ermanaric", "Swanhild", "Fritigern", "Amalasuntha", "Athaulf", "Gerlinde",
        "Childeric", "Waltraud", "Sigismund", "Irmgard", "Chlodio", "Ortrud", "Euric", "Hedwig", "Theudis",
        "Ingrid", "Witiges", "Ermengard", "Gelimer", "Hilda",
    ),
}

EPITHETS = (
    "the Bold", "Ironhand", "the Patient", "Stormbringer", "the Merchant", "Oathkeeper", "the Silent",
    "Wolfsbane", "the Builder", "Grainlord", "the Wary", "Shieldbreaker", "the Fair", "Nightrider",
    "the Elder", "Stonewall", "the Cunning", "Goldtongue", "the Younger", "Ravenclaw", "the Just",
    "Firebrand", "the Wanderer", "Hammerfall", "the Wise", "Swiftspear", "the Steady", "Bloodaxe",
    "the Generous", "Thornheart",
)

ALLIANCE_ADJECTIVES = (
    "Iron", "Golden", "Silent", "Crimson", "Northern", "Eternal", "Free", "Black", "Silver", "Wild",
    "Sacred", "Grey", "Rising", "Last", "Hidden", "Burning",
)
ALLIANCE_NOUNS = (
    "Legion", "Covenant", "Wolves", "Pact", "Eagles", "Shield", "Traders", "Crown", "Oak", "Tide", "Order",
    "Banners",
)

TROOPS = {
    Tribe.ROMANS: ("legionnaire", "praetorian", "imperian", "equites_imperatoris", "equites_caesaris"),
    Tribe.GAULS: ("phalanx", "swordsman", "theutates_thunder", "druidrider", "haeduan"),
    Tribe.TEUTONS: ("clubswinger", "spearman", "axeman", "paladin", "teutonic_knight"),
}
SIEGE = {Tribe.ROMANS: "battering_ram", Tribe.GAULS: "ram", Tribe.TEUTONS: "ram"}

BUILDINGS = (
    "main_building", "warehouse", "granary", "barracks", "stable", "workshop", "marketplace", "embassy",
    "academy", "residence", "rally_point", "woodcutter", "clay_pit", "iron_mine", "cropland", "wall",
)

STRATEGIC_GOALS = {
    "expansion": ("Settle two new villages before the artefacts appear", "Claim the 15-cropper to the east",
                  "Reach five villages and a second culture-point engine"),
    "military": ("Break the strongest neighbour within the week", "Build a hammer of 8,000 offensive troops",
                 "Clear every inactive farm within 20 fields"),
    "economic": ("Push all resource fields to level 10", "Keep the marketplace trading a surplus every day",
                 "Fund the alliance's wonder contribution"),
    "diplomatic": ("Bring the two largest alliances to a non-aggression pact", "Recruit three active neighbours",
                   "Keep every border quiet while the capital grows"),
}

SITUATIONS = {
    "strategic": ("Population {population} in {villages} villages; two neighbours grew 20% this week.",
                  "Alliance war declared on the eastern cluster; home village under-defended.",
                  "Artefact release expected in 5 days; treasury at level 8."),
    "tactical": ("Enemy scouts seen twice in 6 hours near the capital.",
                 "Neighbour {target} left 300 troops home and went offline.",
                 "Incoming attack in 42 minutes, estimated 600 infantry."),
    "economic": ("Warehouse at 94% with clay production lagging.",
                 "Wheat production negative after the last training queue.",
                 "Marketplace rate for iron is 15% above normal."),
    "diplomatic": ("Player {target} proposed a non-aggression pact.",
                   "Alliance asks for reinforcements at a member under siege.",
                   "Trade partner {target} has not delivered two shipments."),
    "building": ("Main building done; next slot free in the capital.",
                 "Granary too small for the night's production.",
                 "Crannies full; raids expected tonight."),
    "military": ("Barracks idle for 3 hours; resources available.",
                 "Enemy hammer left home; their villages are open.",
                 "Defensive power below the local average."),
    "expansion": ("Culture points reached for a new village.",
                  "Settlers trained; best free valley 7 fields away.",
                  "Neighbour's village abandoned; conquest possible with senators."),
}

ACTIONS = {
    "strategic": ("switch_strategy", "hold_course", "join_war", "focus_capital"),
    "tactical": ("dodge_troops", "reinforce", "raid", "scout"),
    "economic": ("trade_surplus", "upgrade_field", "npc_trade", "store_resources"),
    "diplomatic": ("accept_pact", "reject_pact", "send_reinforcements", "propose_trade"),
    "building": ("build", "upgrade", "queue_wall", "upgrade_storage"),
    "military": ("train_troops", "attack", "raid", "hold_defense"),
    "expansion": ("settle", "conquer", "train_settlers", "wait"),
}

LESSONS = {
    "battle_victory": ("Striking when the target is offline pays off.", "Scouting first halves our losses.",
                       "Their wall is weaker than it looks."),
    "battle_defeat": ("Never attack without scouting.", "Their defence was reinforced by the alliance.",
                      "Cavalry alone cannot break a level-15 wall."),
    "trade": ("This partner delivers on time.", "Selling iron on weekends fetches a better rate.",
              "Small offers clear faster than large ones."),
    "treaty": ("Peace on this border frees troops for the east.", "A pact with a strong neighbour deters raiders."),
    "betrayal": ("Their word is worth nothing; keep defences up.", "Never leave the capital empty during a pact."),
}

MESSAGE_SUBJECTS = {
    "alliance_invitation": ("Join us", "An invitation", "Stronger together"),
    "treaty_proposal": ("Peace on our border", "A proposal", "Non-aggression pact"),
    "war_declaration": ("War", "Your time is up", "Consider this your warning"),
    "trade_offer": ("Resources for trade", "Fair exchange?", "Surplus available"),
    "diplomatic_message": ("Regarding our alliances", "Neighbourly words", "About the recent attacks"),
    "threat": ("Last warning", "Stay away", "We know where you sleep"),
    "friendly_chat": ("Hello neighbour", "Good game", "Congratulations"),
}

MESSAGE_BODIES = {
    "alliance_invitation": "Our alliance [{tag}] is looking for active players like you. We share defence and "
                           "trade routes, and nobody raids a member. Interested?",
    "treaty_proposal": "I propose a non-aggression pact between us until {end}. Neither of us gains from a war "
                       "on this border; both of us gain from growing in peace.",
    "war_declaration": "Your raids on my villages end today. From this moment we are at war, and I will not "
                       "stop until your army is gone.",
    "trade_offer": "I have {amount} {offered} to spare and need {requested}. I can offer a better rate than "
                   "the marketplace if you deliver within the day.",
    "diplomatic_message": "Our alliances have no quarrel. Let us keep it that way and settle any border "
                          "question by message first.",
    "threat": "I have watched your troops leave every night. Attack my neighbours again and your villages "
              "will burn next.",
    "friendly_chat": "Congratulations on your new village! The area is getting crowded; good luck with it.",
}
